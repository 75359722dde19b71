"""The project's pipelines: one ``<name>.py`` each, with ``<name>.yaml`` and
``<name>.<env>.yaml`` settings beside it (workflows/config/project.py).

``cadencia compile`` imports each file by its path and calls its ``pipeline()``; this
package marker only lets tests and tools import them as ``workflows.pipelines.<name>``.
"""
