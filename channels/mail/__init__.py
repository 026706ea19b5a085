"""Email wire format: a fast MIME builder, DKIM signing, VERP addresses and SMTP/DSN status codes."""
