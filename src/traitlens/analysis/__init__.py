"""Pure analysis functions over vectors and DataFrames: no model loading, no file I/O, no printing."""

from traitlens.analysis.similarity import aggregate_similarity, cosine_matrix, similarity_frame

__all__ = ["aggregate_similarity", "cosine_matrix", "similarity_frame"]
