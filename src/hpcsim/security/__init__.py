"""Passwords, API tokens, SecTokens and the encryption of SSH keys."""
