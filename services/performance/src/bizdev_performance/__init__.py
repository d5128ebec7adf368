"""The performance service (REGULATIONS §8, §2.1)."""
