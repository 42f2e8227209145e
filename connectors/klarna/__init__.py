"""Klarna Settlements API (payouts and their transactions): client and a simulator for tests."""
