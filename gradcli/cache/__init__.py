"""The result cache: answers gradcli already computed, kept on disk so a repeated call is fast.

Two kinds of entry, both JSON written by gradcli itself (never pickle, never code to run):

* a **reply** (:mod:`gradcli.cli.fast`): the stdout and stderr an identical command wrote, replayed;
* a **function** (:mod:`gradcli.cache.exact`): f and its derivatives as trees of rational
  arithmetic, with the text of everything about f that does not depend on the point, so the same
  expression at a new point is answered with Python's fractions, without sympy or numpy.

:mod:`gradcli.cache.store` is the folder itself: private (mode 0700, ours, no symlinks), entries
written atomically and checked against a hash before use, bounded in size. Nothing here imports
sympy, numpy, typer or rich.
"""
