"""What users touch: the ``taobao-sim`` command (:mod:`.cli`) and the dashboard
(:mod:`.dashboard`)."""
