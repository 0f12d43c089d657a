"""Header aliases of the sidebar's five filter roles, in the words of the bundled cohort's
disease (hepatocellular carcinoma): the mapping step uses them to propose which upload column
plays which role. Labels and levels of a loaded cohort come from its codebook, not from here.
"""

from __future__ import annotations

ROLE_ALIASES: dict[str, tuple[str, ...]] = {
    "child_pugh": (
        "childpugh", "childpughclass", "childpughgrade", "cp", "cpclass", "child",
        "肝功能分级", "child分级", "childpugh分级", "肝功能",
    ),
    "kps": ("kps", "karnofsky", "kpsscore", "karnofskyperformancestatus", "卡氏评分", "kps评分"),
    "pvtt": (
        "pvtt", "portalveintumorthrombus", "tumorthrombus", "portalveinthrombus", "门静脉癌栓",
        "癌栓", "门脉癌栓",
    ),
    "ascites": ("ascites", "腹水"),
    "treatment": (
        "treatment", "arm", "treatmentarm", "therapy", "group", "regimen", "治疗", "治疗方式",
        "治疗方案", "分组", "组别",
    ),
}  # fmt: skip
