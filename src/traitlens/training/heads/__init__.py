"""Shipped correlation heads (package data): <model>.npz, <model>.json, <model>.md."""
