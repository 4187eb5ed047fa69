"""Public test support: prove any adapters against the rules of the sale.

from ticketing_core.testing import HotState, sale_machine
TestMyAdapters = sale_machine(make_my_hot_state).TestCase
"""

from ticketing_core.testing.machine import HotState, HotStateFactory, sale_machine
from ticketing_core.testing.model import SaleModel

__all__ = ["HotState", "HotStateFactory", "SaleModel", "sale_machine"]
