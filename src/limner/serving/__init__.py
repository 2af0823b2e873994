"""The model-serving tier on Ray Serve (the `ray` extra): `deployment` holds the pipelines on
the GPU replicas, `backend.RayBackend` is how an API process reaches them. Nothing here imports
Ray until a deployment is built or a backend connects."""
