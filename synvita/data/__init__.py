"""Datasets, manifests, video IO (PyAV) and the decoded-frame cache."""
