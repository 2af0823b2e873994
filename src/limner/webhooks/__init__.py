"""Webhooks per the Standard Webhooks specification: secrets, signing, the outbox written with a
job's final state, the dispatcher that sends and retries, and the SSRF guard."""
