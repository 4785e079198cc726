"""An Exchange Web Services endpoint on 127.0.0.1, for tests (no open-source
Exchange server exists). It keeps real MIME messages per user and folder and
answers the SOAP operations the addon's reader sends, in the shapes Microsoft
documents for Exchange 2016 (EWS reference on Microsoft Learn):

- Basic authentication offered in ``WWW-Authenticate`` (what exchangelib tastes
  to choose its authentication); a wrong password is answered 401;
- ``ConvertId`` (exchangelib's version probe) answered with the
  ``ServerVersionInfo`` header and ``ErrorInvalidIdMalformed``;
- ``GetFolder`` for distinguished folders (msgfolderroot, inbox, sentitems);
- ``SyncFolderItems`` with ``SyncState`` paging and ``IncludesLastItemInRange``,
  ``ErrorInvalidSyncStateData`` for states issued before :meth:`forget_sync_states`;
- ``GetItem`` returning ``InternetMessageHeaders``/``BccRecipients``/
  ``DateTimeReceived`` or ``MimeContent``;
- an ``ErrorServerBusy`` SOAP fault with ``BackOffMilliseconds`` on demand.

Every operation seen is recorded, so tests can check that nothing writes.
"""

import base64
import datetime
import email
import email.policy
import email.utils
import hashlib
import ssl
import threading
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from .loopback_http import LoopbackHttp

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"

ENVELOPE = """<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Header>
    <h:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" MinorBuildNumber="6"
      Version="V2017_07_11" xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types"
      xmlns="http://schemas.microsoft.com/exchange/services/2006/types"
      xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>
  </s:Header>
  <s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
{body}
  </s:Body>
</s:Envelope>"""

BUSY_FAULT = """<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Body>
    <s:Fault>
      <faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorServerBusy</faultcode>
      <faultstring xml:lang="en-US">The server cannot service this request right now. Try again later.</faultstring>
      <detail>
        <e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">ErrorServerBusy</e:ResponseCode>
        <e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors"
          >The server cannot service this request right now. Try again later.</e:Message>
        <t:MessageXml xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
          <t:Value Name="BackOffMilliseconds">{ms}</t:Value>
        </t:MessageXml>
      </detail>
    </s:Fault>
  </s:Body>
</s:Envelope>"""

READ_ONLY_OPERATIONS = {"ConvertId", "GetFolder", "SyncFolderItems", "GetItem"}


def _mailboxes(addresses):
    return "".join(
        f"<t:Mailbox><t:Name>{escape(name)}</t:Name><t:EmailAddress>{escape(addr)}</t:EmailAddress>"
        "<t:RoutingType>SMTP</t:RoutingType><t:MailboxType>OneOff</t:MailboxType></t:Mailbox>"
        for name, addr in addresses
    )


class EwsServer(LoopbackHttp):
    def __init__(self, login, password):
        self.login, self.password = login, password
        self.folders = {"inbox": [], "sentitems": []}  # (item id, received, raw)
        self.operations = []
        self.busy = []  # back-off milliseconds to answer the next requests with
        self.sent = []  # MIME bytes sent with CreateItem (SendAndSaveCopy)
        self.generation = 0
        self._lock = threading.Lock()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/EWS/Exchange.asmx"

    def answer(self, method, path, headers, body):
        status, reply_headers, reply = self.handle(headers.get("Authorization") or "", body)
        return status, {"Content-Type": "text/xml; charset=utf-8", **reply_headers}, reply.encode()

    # -- the mailbox -----------------------------------------------------------------
    def deliver(self, folder, raw, received=None):
        received = received or datetime.datetime.now(datetime.timezone.utc)
        item_id = "AAMkAGE1" + hashlib.sha1(raw + str(received).encode()).hexdigest() + "AAA="
        with self._lock:
            self.folders[folder].append((item_id, received, raw))
        return item_id

    def forget_sync_states(self):
        with self._lock:
            self.generation += 1

    # -- SOAP ------------------------------------------------------------------------
    def handle(self, authorization, body):
        expected = "Basic " + base64.b64encode(f"{self.login}:{self.password}".encode()).decode()
        if authorization != expected:
            return 401, {"WWW-Authenticate": 'Basic realm="mail.acme.test"'}, ""
        request = ET.fromstring(body).find(f"{{{SOAP}}}Body")[0]
        operation = request.tag.rpartition("}")[2]
        with self._lock:
            self.operations.append(operation)
            if self.busy:
                return 500, {}, BUSY_FAULT.format(ms=self.busy.pop(0))
            answer = getattr(self, f"_{operation}", None)
            if answer is None:
                return 500, {}, ENVELOPE.format(body=f"<s:Fault><faultstring>{operation}</faultstring></s:Fault>")
            return 200, {}, ENVELOPE.format(body=answer(request))

    def _response(self, operation, messages):
        return (
            f'<m:{operation}Response xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>{messages}'
            f"</m:ResponseMessages></m:{operation}Response>"
        )

    def _ConvertId(self, request):
        return self._response(
            "ConvertId",
            '<m:ConvertIdResponseMessage ResponseClass="Error"><m:MessageText>Id is malformed.</m:MessageText>'
            "<m:ResponseCode>ErrorInvalidIdMalformed</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>"
            "</m:ConvertIdResponseMessage>",
        )

    def _GetFolder(self, request):
        messages = []
        for folder in request.iter(f"{{{T}}}DistinguishedFolderId"):
            name = folder.get("Id")
            count = len(self.folders.get(name, ()))
            folder_class = "" if name == "msgfolderroot" else "<t:FolderClass>IPF.Note</t:FolderClass>"
            display = {"msgfolderroot": "Top of Information Store", "inbox": "Inbox", "sentitems": "Sent Items"}
            messages.append(
                '<m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
                f'<m:Folders><t:Folder><t:FolderId Id="AQMkF{name}AAA=" ChangeKey="AQAAABYAAAA{name}"/>'
                f"{folder_class}<t:DisplayName>{display.get(name, name)}</t:DisplayName>"
                f"<t:TotalCount>{count}</t:TotalCount><t:ChildFolderCount>0</t:ChildFolderCount>"
                "<t:UnreadCount>0</t:UnreadCount></t:Folder></m:Folders></m:GetFolderResponseMessage>"
            )
        return self._response("GetFolder", "".join(messages))

    def _SyncFolderItems(self, request):
        folder_elem = request.find(f".//{{{T}}}DistinguishedFolderId")
        folder_id = request.find(f".//{{{T}}}FolderId")
        name = folder_elem.get("Id") if folder_elem is not None else folder_id.get("Id")[5:-4]
        state_elem = request.find(f"{{{M}}}SyncState")
        limit = int(request.findtext(f"{{{M}}}MaxChangesReturned") or 100)
        position = 0
        if state_elem is not None and state_elem.text:
            generation, _dot, position = base64.b64decode(state_elem.text).decode().partition(":")
            if int(generation) != self.generation:
                return self._response(
                    "SyncFolderItems",
                    '<m:SyncFolderItemsResponseMessage ResponseClass="Error"><m:MessageText>Synchronization state '
                    "data is corrupt or otherwise invalid.</m:MessageText><m:ResponseCode>ErrorInvalidSyncStateData"
                    "</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:SyncState/>"
                    "<m:IncludesLastItemInRange>true</m:IncludesLastItemInRange></m:SyncFolderItemsResponseMessage>",
                )
            position = int(position)
        items = self.folders[name]
        page = items[position : position + limit]
        end = position + len(page)
        state = base64.b64encode(f"{self.generation}:{end}".encode()).decode()
        changes = "".join(
            f'<t:Create><t:Message><t:ItemId Id="{item_id}" ChangeKey="CQAAABYAAAD{position + i}"/>'
            "</t:Message></t:Create>"
            for i, (item_id, _received, _raw) in enumerate(page)
        )
        return self._response(
            "SyncFolderItems",
            '<m:SyncFolderItemsResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
            f"<m:SyncState>{state}</m:SyncState>"
            f"<m:IncludesLastItemInRange>{'true' if end >= len(items) else 'false'}</m:IncludesLastItemInRange>"
            f"<m:Changes>{changes}</m:Changes></m:SyncFolderItemsResponseMessage>",
        )

    def _CreateItem(self, request):
        """SendAndSaveCopy of a MimeContent message: sent (kept in ``sent``) and
        saved in Sent Items, as Exchange does."""
        if request.get("MessageDisposition") != "SendAndSaveCopy":
            return self._response("CreateItem", '<m:CreateItemResponseMessage ResponseClass="Error"><m:MessageText>'
                                  "Only sending is expected here.</m:MessageText><m:ResponseCode>ErrorInvalidRequest"
                                  "</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:Items/>"
                                  "</m:CreateItemResponseMessage>")  # fmt: skip
        raw = base64.b64decode(request.findtext(f".//{{{T}}}MimeContent"))
        self.sent.append(raw)
        item_id = "AAMkAGE1" + hashlib.sha1(raw).hexdigest() + "AAA="
        self.folders["sentitems"].append((item_id, datetime.datetime.now(datetime.timezone.utc), raw))
        return self._response(
            "CreateItem",
            '<m:CreateItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
            "<m:Items/></m:CreateItemResponseMessage>",
        )

    def _GetItem(self, request):
        wanted = {f.get("FieldURI") for f in request.iter(f"{{{T}}}FieldURI")}
        by_id = {item_id: (received, raw) for items in self.folders.values() for item_id, received, raw in items}
        messages = []
        for ref in request.iter(f"{{{T}}}ItemId"):
            found = by_id.get(ref.get("Id"))
            if not found:
                messages.append(
                    '<m:GetItemResponseMessage ResponseClass="Error"><m:MessageText>The specified object was not '
                    "found in the store.</m:MessageText><m:ResponseCode>ErrorItemNotFound</m:ResponseCode>"
                    "<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey><m:Items/></m:GetItemResponseMessage>"
                )
                continue
            received, raw = found
            msg = email.message_from_bytes(raw, policy=email.policy.compat32)
            props = [f'<t:ItemId Id="{ref.get("Id")}" ChangeKey="CQAAABYAAAD"/>']
            if "item:MimeContent" in wanted:
                props.append(f'<t:MimeContent CharacterSet="UTF-8">{base64.b64encode(raw).decode()}</t:MimeContent>')
            if "item:DateTimeReceived" in wanted:
                props.append(f"<t:DateTimeReceived>{received.strftime('%Y-%m-%dT%H:%M:%SZ')}</t:DateTimeReceived>")
            if "item:InternetMessageHeaders" in wanted:
                # Exchange keeps the transport headers, never Bcc (that one is a property).
                headers = "".join(
                    f"<t:InternetMessageHeader HeaderName={quoteattr(name)}>{escape(str(value))}"
                    "</t:InternetMessageHeader>"
                    for name, value in msg.items()
                    if name.lower() != "bcc"
                )
                props.append(f"<t:InternetMessageHeaders>{headers}</t:InternetMessageHeaders>")
            if "message:BccRecipients" in wanted and msg.get_all("Bcc"):
                props.append(
                    f"<t:BccRecipients>{_mailboxes(email.utils.getaddresses(msg.get_all('Bcc')))}</t:BccRecipients>"
                )
            messages.append(
                '<m:GetItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
                f"<m:Items><t:Message>{''.join(props)}</t:Message></m:Items></m:GetItemResponseMessage>"
            )
        return self._response("GetItem", "".join(messages))


AUTODISCOVER_RESPONSE = """<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://www.w3.org/2005/08/addressing">
  <s:Header>
    <a:Action s:mustUnderstand="1"
      >http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettingsResponse</a:Action>
    <h:ServerVersionInfo xmlns:h="http://schemas.microsoft.com/exchange/2010/Autodiscover"
      xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
      <h:MajorVersion>15</h:MajorVersion><h:MinorVersion>1</h:MinorVersion>
      <h:MajorBuildNumber>2507</h:MajorBuildNumber><h:MinorBuildNumber>6</h:MinorBuildNumber>
      <h:Version>Exchange2015</h:Version>
    </h:ServerVersionInfo>
  </s:Header>
  <s:Body>
    <GetUserSettingsResponseMessage xmlns="http://schemas.microsoft.com/exchange/2010/Autodiscover">
      <Response xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
        <ErrorCode>NoError</ErrorCode><ErrorMessage/>
        <UserResponses><UserResponse>
          <ErrorCode>NoError</ErrorCode><ErrorMessage>No error.</ErrorMessage>
          <RedirectTarget i:nil="true"/><UserSettingErrors/>
          <UserSettings>
            <UserSetting i:type="StringSetting"><Name>AutoDiscoverSMTPAddress</Name><Value>{email}</Value></UserSetting>
            <UserSetting i:type="StringSetting"><Name>ExternalEwsUrl</Name><Value>{ews_url}</Value></UserSetting>
            <UserSetting i:type="StringSetting"><Name>EwsSupportedSchemas</Name>
              <Value>Exchange2007, Exchange2007_SP1, Exchange2010, Exchange2010_SP1, Exchange2010_SP2, Exchange2013,
                Exchange2013_SP1, Exchange2016</Value></UserSetting>
          </UserSettings>
        </UserResponse></UserResponses>
      </Response>
    </GetUserSettingsResponseMessage>
  </s:Body>
</s:Envelope>"""


class AutodiscoverServer(LoopbackHttp):
    """SOAP Autodiscover (``/autodiscover/autodiscover.svc``, GetUserSettings) over
    HTTPS on port 443, pointing at an :class:`EwsServer`; run it in a network
    namespace where the test's DNS says the domain is 127.0.0.1."""

    bind_port = 443

    def __init__(self, ews, certfile, keyfile):
        self.ews, self.certfile, self.keyfile = ews, certfile, keyfile
        self.requests = []

    def _wrap_socket(self, sock):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certfile, self.keyfile)
        return context.wrap_socket(sock, server_side=True)

    def answer(self, method, path, headers, body):
        self.requests.append((method, path))
        expected = "Basic " + base64.b64encode(f"{self.ews.login}:{self.ews.password}".encode()).decode()
        if headers.get("Authorization") != expected:
            return 401, {"WWW-Authenticate": 'Basic realm="autodiscover"'}, b""
        mailbox = ET.fromstring(body).find(".//{http://schemas.microsoft.com/exchange/2010/Autodiscover}Mailbox")
        reply = AUTODISCOVER_RESPONSE.format(email=escape(mailbox.text), ews_url=escape(self.ews.url))
        return 200, {"Content-Type": "text/xml; charset=utf-8"}, reply.encode()
