"""The workflow parameter that carries a run's logical date, named once.

Every compiled WorkflowTemplate takes its logical date as the argument ``run-date``
(``YYYY-MM-DD``); the CronWorkflow computes it, the backfill fans it out, the steps get it
as an input, and ``cadencia run`` and ``argo submit -p run-date=...`` set it. It is
cadencia's name, not Argo's; how a template reads it is Argo's variable syntax
(``{{inputs.parameters.<name>}}``, ``{{workflow.parameters.<name>}}``: argoproj/argo-workflows
``docs/variables.md``).
"""

from __future__ import annotations

RUN_DATE = "run-date"
RUN_DATE_INPUT = f"{{{{inputs.parameters.{RUN_DATE}}}}}"
RUN_DATE_WORKFLOW = f"{{{{workflow.parameters.{RUN_DATE}}}}}"
