"""dlbook_lib: the helpers that the lessons of *dlbook* share.

One module per purpose, so a lesson imports exactly what it uses:

* ``config``        fast/full mode, seeding, device choice
* ``data``          Fashion-MNIST, scikit-learn's bundled sets, 2-D toy generators
* ``plotting``      the book's figure style, curves, image grids, decision boundaries
* ``training``      the PyTorch training loop the lessons share (checkpoints, NaN stop)
* ``controls``      knobs (sliders, toggles) that switch pre-computed figures in the browser
* ``numpy_layers``  NumPy layers with forward/backward (cs231n style), a NumPy MLP
* ``numpy_recurrent`` NumPy RNN and LSTM cells with forward/backward
* ``gradient_check`` numerical gradients for checking backward passes
* ``sequence_data`` generated sequence tasks (adding problem...) and a character corpus
* ``gan_metrics``   mode coverage and sample quality for 2-D GAN benchmarks
* ``errors``        TrainingDiverged and the on_nan check, shared by both training loops

``python -m dlbook_lib`` prints the environment: versions, device, mode, datasets found.
"""
from dlbook_lib.config import get_device, is_fast_mode, mode_name, pick, seed_everything

__version__ = "0.1.0"

__all__ = ["get_device", "is_fast_mode", "mode_name", "pick", "seed_everything", "__version__"]
