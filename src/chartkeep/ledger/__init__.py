"""What the audit ledger's entries say: the event of each write, read, refusal and login."""
