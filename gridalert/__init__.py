"""gridalert: sensor events to routed, escalated, accepted incidents for grid governance.

The top-level package holds the command line and the process runner; the pipeline lives in the
sub-packages (streams, agents, geo, detectors, incidents, notifiers, store, config).
"""

__version__ = "0.1.0"
