"""Sharing a device: who runs next (`FairScheduler`, `DeviceTurns`) and what stays loaded
(`ResidentSet`). No torch here; backends plug their models in."""

from limner.devices.residency import Resident, ResidentSet
from limner.devices.scheduler import DeviceTurns, FairScheduler, Ticket

__all__ = ["DeviceTurns", "FairScheduler", "Resident", "ResidentSet", "Ticket"]
