"""What staff and the public read: every query the API and the pages share, built on the models' rules.

- ``requests``: lists and search, one request for its centre's staff, what competes with it, an initiative's
  history and contacts (always within the reader's centres), the requester's own history;
- ``availability``: free quantities per slot, the month calendar of an asset, "what can I borrow on these dates";
- ``catalogue``: what the public may see of booking's copy of the inventory;
- ``calendar``: the staff's week and month of every asset.

The overlap, the maintenance window in force, the centre scope and the requester-visible history are SQL
expressions on the models (``Allocation.holding``, ``InvMaintenanceWindow.in_force``, ``BookingRequest.within``,
``AuditEntry.shown_to_requester``): written once, used here and by the write path.
"""
