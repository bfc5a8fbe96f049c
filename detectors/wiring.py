"""Fire-risk wiring (电气火灾隐患) from electrical fire monitors: residual current and arc faults.

Natural leakage is 100–200 mA and 300 mA can start a fire, so the alarm threshold sits at
300–500 mA; arc-fault monitoring must ignore 9 or fewer arcing half-cycles in one second. The
detector issue adds persistence and per-household files; the interface stays.
"""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from gridalert.config.model import Policies
from gridalert.detectors.common import building_type_of, what_of
from gridalert.streams.records import Alarm, LocatedEvent

RESIDUAL, ARC = "wiring.residual_current", "wiring.arc_fault"


def detect_wiring(located: LocatedEvent, policies: Policies, now: datetime,
                  building_type: Optional[str] = None) -> Optional[Alarm]:
    rule = policies.detectors.wiring
    data = located.event.data
    residual = float(data["residual_current_ma"])
    arcs = data.get("arc_half_cycles") or 0
    reasons = []
    if residual >= rule.residual_ma_alarm:
        reasons.append((RESIDUAL, f"residual current {residual:.0f} mA ≥ {rule.residual_ma_alarm:.0f} mA"))
    if arcs >= rule.arc_half_cycles_alarm:
        reasons.append((ARC, f"{arcs} arcing half-cycles in 1 s ≥ {rule.arc_half_cycles_alarm}"))
    if not reasons:
        return None
    route = policies.route(located.event.event_type)
    place = located.place
    building = building_type or data.get("building_type")
    what = "; ".join(text for _, text in reasons)
    return Alarm(
        id=f"{located.event.id}:{reasons[0][0]}",
        rule=reasons[0][0],
        dedup_key=f"wiring:{place.partition_key}:{what_of(located)}",
        severity=route.severity,
        klass=route.klass.value,
        title=f"电气火灾隐患 Fire-risk wiring — {place.grid_name or place.district}"
              + (f" — {data['circuit']}" if data.get("circuit") else ""),
        explanation=f"{located.event.event_type} from {located.event.device or located.event.source}: {what}"
                    + (f" (building: {building})" if building else ""),
        event=located.event,
        place=place,
        detected_at=now,
        building_type=building,
    )
