"""dlbook_lib: the helpers that the lessons of *dlbook* share.

One module per purpose, so a lesson imports exactly what it uses (the README has the same
map with each module's size):

* ``config``          mode, seeds, device, CPU threads, checkpoint paths, ``setup_lesson``
* ``errors``          ``TrainingDiverged`` and the ``on_nan`` check, shared by every training loop
* ``datasets``        files on disk: Fashion-MNIST (checksummed), scikit-learn sets, splits
* ``synthetic``       generated data: blobs, Gaussian ring/grid, moons, spirals, sequence tasks
* ``text``            a character corpus from the standard library, its vocabulary, sampling
* ``numpy_layers``    NumPy layers on one contract: linear, conv, pooling, activations, losses
* ``numpy_recurrent`` NumPy RNN and LSTM cells on the same contract, and their torch conversion
* ``numpy_models``    a NumPy MLP built from the layers, and its SGD loop ``train_mlp``
* ``numpy_optim``     NumPy SGD (momentum, Nesterov), AdaGrad, RMSProp, Adam(W), as torch.optim
* ``gradient_check``  finite differences, ``torch.autograd`` references, ``check_layer``
* ``training``        the PyTorch loop for supervised runs: ``fit``, ``evaluate``, ``predict``
* ``step_loop``       the step-based loop for everything custom (GANs, VAEs...): ``train_steps``
* ``checkpoint``      ``Checkpoint`` files and the resume checks both loops share
* ``nn_utils``        PyTorch building blocks: ``mlp``, ``count_parameters``, ``layer_table``
* ``gan``             GAN losses and the gradient penalty, mode coverage on 2-D benchmarks
* ``plotting``        the book's figure style, curves, image grids, decision boundaries
* ``controls``        knobs that switch pre-computed figures in the browser
* ``source``          print a library function's code in a lesson, without its checks
* ``_checks``         (private) the argument checks and array/tensor converters of all modules

``python -m dlbook_lib`` prints the environment: versions, device, mode, datasets found.
"""
from dlbook_lib.config import get_device, is_fast_mode, mode_name, pick, seed_everything

__version__ = "0.1.0"

__all__ = ["get_device", "is_fast_mode", "mode_name", "pick", "seed_everything", "__version__"]
