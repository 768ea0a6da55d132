"""The playground: dagrad's real ``autograd`` and ``nn`` in the browser, nothing to install.

``dagrad-playground build DIR`` writes a static site (``build``); ``runner`` and ``panel`` are
the Python the page runs inside Pyodide (code cells; the live training panel). The engine
never imports this package.
"""
