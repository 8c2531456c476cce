"""The composition root: builds the web service, the scheduler and the command line from the layers below."""
