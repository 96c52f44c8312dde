"""Evaluation: KPIs, privacy-safe public aggregates, impact estimates, community measures."""
