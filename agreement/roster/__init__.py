"""The roster: HR's leader hierarchy, read, checked and applied with the year's agreements."""
