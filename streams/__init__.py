"""The stream side: the Faust app, topic names, typed records, the CloudEvents codec, the broker.

Owns what travels on Kafka and how it is read and written. Stage logic lives elsewhere
(``geo``, ``detectors``, ``incidents``, ``notifiers``); agents in ``agents/`` wire it to topics.
"""
