"""Operations: the live service a 911 centre's CAD and the consoles talk to."""
