"""Scheduled work. The scheduler only triggers; the database says what is due."""
