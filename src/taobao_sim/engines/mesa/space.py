"""The households' ties as a Mesa network space: :class:`TiesNetwork`.

Each household sits in its own cell (node ``household_id``); a cell is connected to
the cells of the households it watches (its ties, docs/ODD.md, section 2), so
``household.cell.neighborhood.agents`` are the households whose shops it sees. The
ties are directed: a household watches its ties, who need not watch it back.

The compiled rules read the ties from the world's arrays (``ties_ptr``,
``ties_idx``, compressed sparse rows), not from this space, so the space is
read-only: rewiring it would not change what any household sees.
"""

from __future__ import annotations

from functools import cached_property
from random import Random
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
from mesa.discrete_space import Cell, Network
from mesa.discrete_space.discrete_space import DiscreteSpace

if TYPE_CHECKING:  # pragma: no cover
    import networkx

#: What to install for :attr:`TiesNetwork.G` and Mesa's drawing of the space.
VIZ_EXTRA = 'pip install "taobao-sim[viz]"'


class TiesNetwork(Network):
    """A ``mesa.discrete_space.Network`` of households: one cell per household, its
    ties as connections.

    Built straight from the tie lists, so the model needs no networkx;
    :attr:`G`, the networkx graph that Mesa's drawing functions read, is built on
    first use (it needs networkx, part of the ``viz`` extra).

    Args:
        ties_ptr, ties_idx: the tie lists, compressed sparse rows: household ``i``
            watches ``ties_idx[ties_ptr[i]:ties_ptr[i + 1]]`` (household ids).
        random: the model's ``random.Random`` (Mesa's cells keep one).
    """

    def __init__(self, ties_ptr: np.ndarray, ties_idx: np.ndarray, random: Random) -> None:
        # Network.__init__ takes a networkx graph; skipping to DiscreteSpace keeps
        # networkx out of the model's own dependencies (and its memory, several
        # kilobytes per household, out of large runs).
        DiscreteSpace.__init__(self, capacity=1, cell_klass=Cell, random=random)
        self.ties_ptr = ties_ptr
        self.ties_idx = ties_idx
        for i in range(len(ties_ptr) - 1):
            self._cells[i] = self.cell_klass(i, 1, random=self.random)
        self._connect_cells()

    def _connect_single_cell(self, cell: Cell) -> None:
        i = cell.coordinate
        # a household may hold two ties to one household (weak ties are drawn with
        # replacement); a cell connects to each household once
        for j in dict.fromkeys(self.ties_idx[self.ties_ptr[i]:self.ties_ptr[i + 1]].tolist()):
            cell.connect(self._cells[j], j)

    @cached_property
    def G(self) -> networkx.MultiDiGraph:  # noqa: N802 - the name Mesa's drawing reads
        """The ties as a frozen ``networkx.MultiDiGraph``: one node per household, an
        edge ``i -> j`` per tie of ``i`` (repeated ties repeated), in tie order."""
        try:
            import networkx as nx
        except ImportError as e:  # pragma: no cover - the viz extra installs it
            raise ImportError(f"the ties as a networkx graph need networkx: {VIZ_EXTRA}") from e
        n = len(self.ties_ptr) - 1
        g = nx.MultiDiGraph()
        g.add_nodes_from(range(n))
        src = np.repeat(np.arange(n), np.diff(self.ties_ptr))
        g.add_edges_from(zip(src.tolist(), self.ties_idx.tolist(), strict=True))
        return nx.freeze(g)

    def _read_only(self, *args: Any) -> NoReturn:
        raise TypeError("the ties are fixed: the model reads them from its world "
                        "(model.ties_ptr, model.ties_idx), not from the space")

    add_cell = remove_cell = add_connection = remove_connection = _read_only
