{
    "name": "Mail Lead Sync: Job Queue",
    "summary": "Syncs each connected mailbox as its own OCA queue_job job, spread over every job runner",
    "version": "18.0.1.0.0",
    "category": "Sales/CRM",
    "license": "LGPL-3",
    "author": "mail_lead_sync developers",
    "website": "https://github.com/mail-lead-sync/mail_lead_sync",
    "depends": ["mail_lead_sync", "queue_job"],
    # Installed by itself where both are: the sync then goes through the job queue.
    "auto_install": True,
    "data": ["data/queue_job_data.xml"],
}
