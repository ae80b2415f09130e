"""One thin module per command; importing a module registers its command on ``gradcli.app.app``."""
