"""The lessons (``NN_*.ipynb``) and the command that runs them and stores their outputs.

``python -m notebooks`` regenerates every notebook's outputs; see ``notebooks/build.py``.
"""
