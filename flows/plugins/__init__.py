"""Rules and code plugins that alter the standard flows (package 800).

``api`` is what a plugin package imports (plain Python, no Django); ``discovery`` finds the
installed plugins through the ``sharespine.plugins`` entry-point group; ``sandbox`` runs one hook
of one plugin on copies of plain records, with a time limit, and checks what comes back;
``rules`` applies a consultant's rules; ``host`` puts both together for a flow's pure map step.
"""
