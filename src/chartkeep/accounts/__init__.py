"""Users, login, sessions, passwords, reset and verification tokens, lockout, MFA, mail, users' roles."""
