"""Device: running the server at a school with no IT staff.

Owns: USB sticks (`usb`, `usb_export`), backups (`backup`, `auto_backup`), offline updates (`update`), the
systemd service and malloc settings (`service`), serving on every core (`workers`), background jobs (`jobs`), the device's health page (`status`), start-up
housekeeping (`maintenance`), the admin's first-run checklist (`first_run`).
May import: every layer below the web: core, content, people, learning, coaching, and `sync` (a USB bundle).
Sits in one layer with `server.privacy` and the `sync` package.
"""
