"""Image post-processing shared by every backend: caption overlay and encoding."""
