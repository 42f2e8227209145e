"""Example plugins: each a class with a name, a version, a settings schema and the hooks it uses
(``flows.plugins.api``). They see plain records and return them; nothing else."""
