"""Simulation model: queueing formulas now, a SimPy model of teams and shifts later."""
