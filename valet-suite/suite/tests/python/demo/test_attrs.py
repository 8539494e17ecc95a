from tempest import test
from tempest.lib import decorators
from tempest.common import utils
class Attrs(test.BaseTestCase):
    credentials = []
    @decorators.attr(type='smoke')
    @decorators.idempotent_id('460d86e4-6472-11e6-b6c6-080027824017')
    def test_smoke(self): pass
    @decorators.idempotent_id('2ab0337e-6472-11e6-b6c6-080027824017')
    @utils.services('compute', 'network')
    def test_services(self): pass
    @decorators.skip_because(bug='12345')
    def test_skipbug(self): pass
    @decorators.attr(type=['slow','gate'])
    def test_multi(self): pass
