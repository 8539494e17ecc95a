# The failure-injection table of valet-suite (src/examples.rs) as Tempest classes, for the
# comparison with real Tempest 47.0.0 (tests/tempest_compare.rs). Journal lines go to stderr.
import sys
from tempest import test
from tempest.lib import exceptions as lib_exc
import testtools

def J(cls, what):
    sys.stderr.write("J %s %s\n" % (cls.__name__, what))

class Base(test.BaseTestCase):
    credentials = []
    fail_in = ()
    @classmethod
    def skip_checks(cls):
        super().skip_checks(); J(cls, "skip_checks")
        if "skip" in cls.fail_in: raise cls.skipException("not configured")
        if "skip_checks" in cls.fail_in: raise RuntimeError("boom in skip_checks")
    @classmethod
    def setup_credentials(cls):
        super().setup_credentials(); J(cls, "setup_credentials")
        if "setup_credentials" in cls.fail_in: raise RuntimeError("boom in setup_credentials")
    @classmethod
    def setup_clients(cls):
        super().setup_clients(); J(cls, "setup_clients")
        if "setup_clients" in cls.fail_in: raise RuntimeError("boom in setup_clients")
    @classmethod
    def resource_setup(cls):
        super().resource_setup(); J(cls, "resource_setup")
        cls.addClassResourceCleanup(cls._cc, "one")
        cls.addClassResourceCleanup(cls._cc, "two")
        if "resource_setup" in cls.fail_in: raise RuntimeError("boom in resource_setup")
    @classmethod
    def _cc(cls, name):
        J(cls, "class_cleanup " + name)
        if "class_cleanup" in cls.fail_in: raise RuntimeError("boom in class cleanup " + name)
    @classmethod
    def resource_cleanup(cls):
        J(cls, "resource_cleanup")
        if "resource_cleanup" in cls.fail_in:
            super().resource_cleanup()
            raise RuntimeError("boom in resource_cleanup")
        super().resource_cleanup()
    @classmethod
    def clear_credentials(cls):
        J(cls, "clear_credentials")
        super().clear_credentials()
        if "clear_credentials" in cls.fail_in: raise RuntimeError("boom in clear_credentials")
    def setUp(self):
        super().setUp(); J(type(self), "setUp " + self._testMethodName)
        self.addCleanup(self._tc, "a")
        self.addCleanup(self._tc, "b")
        if "setUp" in self.fail_in: raise RuntimeError("boom in setUp")
    def _tc(self, name):
        J(type(self), "test_cleanup " + name)
        if "test_cleanup" in self.fail_in: raise RuntimeError("boom in test cleanup " + name)
    def tearDown(self):
        J(type(self), "tearDown " + self._testMethodName)
        super().tearDown()
        if "tearDown" in self.fail_in: raise RuntimeError("boom in tearDown")
    def test_one(self):
        J(type(self), "test_one")
        if "test" in self.fail_in: raise RuntimeError("boom in test")
        if "assert" in self.fail_in: self.assertEqual(1, 2)
        if "test_skip" in self.fail_in: self.skipTest("skipped in test")

class Clean(Base): pass
class Skipped(Base): fail_in = ("skip",)
class ErrSkipChecks(Base): fail_in = ("skip_checks",)
class ErrSetupCredentials(Base): fail_in = ("setup_credentials",)
class ErrSetupClients(Base): fail_in = ("setup_clients",)
class ErrResourceSetup(Base): fail_in = ("resource_setup",)
class ErrSetUp(Base): fail_in = ("setUp",)
class ErrTest(Base): fail_in = ("test",)
class ErrAssert(Base): fail_in = ("assert",)
class SkipInTest(Base): fail_in = ("test_skip",)
class ErrTearDown(Base): fail_in = ("tearDown",)
class ErrTestCleanup(Base): fail_in = ("test_cleanup",)
class ErrTestAndCleanup(Base): fail_in = ("test", "test_cleanup", "tearDown")
class ErrResourceCleanup(Base): fail_in = ("resource_cleanup",)
class ErrClassCleanup(Base): fail_in = ("class_cleanup",)
class ErrClearCredentials(Base): fail_in = ("clear_credentials",)
class ErrSetupAndCleanup(Base): fail_in = ("resource_setup", "resource_cleanup")
class ErrTwoTeardowns(Base): fail_in = ("resource_cleanup", "clear_credentials")
class ErrSetupClientsAndClear(Base): fail_in = ("setup_clients", "clear_credentials")
class NoSuperSkip(test.BaseTestCase):
    credentials = []
    @classmethod
    def skip_checks(cls): pass
    def test_one(self): pass
class NoSuperCleanup(test.BaseTestCase):
    credentials = []
    @classmethod
    def resource_cleanup(cls): pass
    def test_one(self): pass
