"""Learned item-correlation heads: training pairs (:mod:`.pairs`), the head (:mod:`.head`), fitting (:mod:`.fit`).

Nothing is imported here, so that the engine can import :mod:`traitlens.training.head` without the
datasets and evaluation layers that :mod:`.pairs` and :mod:`.fit` need.
"""
