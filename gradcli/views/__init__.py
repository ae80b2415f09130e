"""Views: every Document and every number-to-text decision, rendered by :mod:`gradcli.views.render`.

The layer between the core and the command line: it imports the core, never typer. Submodules are
imported where needed, so loading one view does not load the others.
"""
