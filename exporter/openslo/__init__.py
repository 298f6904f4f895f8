"""OpenSLO v1 input: read OpenSLO documents and turn them into the native config.

OpenSLO is only a way in. :func:`convert` maps a set of OpenSLO documents
(``SLO``, ``SLI``, ``AlertPolicy``, ``AlertCondition``, ``Service``,
``DataSource``) to the plain dict the native loader validates, so there is
one engine and one set of rules. Every OpenSLO field is either mapped or
refused with a one-line error naming it; nothing is dropped quietly.

Modules, one idea each:

- :mod:`~exporter.openslo.detect`: is this data OpenSLO?
- :mod:`~exporter.openslo.load`: read a file or a directory of files.
- :mod:`~exporter.openslo.located`: a value and where it was written; problems.
- :mod:`~exporter.openslo.shape`: field checks (mappings, text, numbers).
- :mod:`~exporter.openslo.catalog`: the documents by kind and name; refs.
- :mod:`~exporter.openslo.shorthand_durations`: OpenSLO duration shorthand.
- :mod:`~exporter.openslo.queries`: which PromQL forms a metric source may use.
- :mod:`~exporter.openslo.indicator`: ``SLI`` to the native ``sli``.
- :mod:`~exporter.openslo.window`: ``timeWindow`` to a period or a calendar.
- :mod:`~exporter.openslo.objective`: objectives and the budgeting method.
- :mod:`~exporter.openslo.alerting`: alert policies and conditions to alert rules.
- :mod:`~exporter.openslo.backend`: ``DataSource`` to the native ``backend``.
- :mod:`~exporter.openslo.slo`: one ``SLO`` to one native SLO.
- :mod:`~exporter.openslo.entries`: building the native dict and its origins.
- :mod:`~exporter.openslo.convert`: all of the above, for a set of documents.
- :mod:`~exporter.openslo.dump`: the native config as readable YAML.

This package reads YAML through :mod:`exporter.yaml_lines` and knows nothing
of :mod:`exporter.config`: the config loader calls it through the names
exported here, then judges the result with the native schema
(:mod:`exporter.config.openslo_input`, which also backs the ``convert``
subcommand in :mod:`exporter.config.convert_command`).
"""

from exporter.openslo.convert import Converted, convert, convert_located
from exporter.openslo.detect import is_openslo
from exporter.openslo.dump import to_yaml
from exporter.openslo.load import read_openslo

__all__ = ["Converted", "convert", "convert_located", "is_openslo", "read_openslo", "to_yaml"]
