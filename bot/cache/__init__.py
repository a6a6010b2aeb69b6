"""The state cache seen from the bot: the sync that fills it and the typeahead that reads it."""
