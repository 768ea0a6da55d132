"""Every public callable of autograd, called with bad arguments, names the mistake.

Issue 12 found 177 generic Python messages (IndexError, "not iterable", ZeroDivisionError …)
across autograd's and nn's public callables × bad-argument shapes. This sweep covers
autograd's: any exception must be one that says what was expected.
"""

import math
import re

import pytest

import autograd
from autograd import Value

GENERIC = re.compile(
    r"not iterable|has no attribute|unsupported operand|index out of range|division by zero|"
    r"object is not callable|not subscriptable|math domain error|unhashable|"
    r"unpack|cannot convert|must be real number, not|zip\(\) argument|list index|"
    r"tuple index|'NoneType' object|has no len"
)
GENERIC_TYPES = (IndexError, KeyError, AttributeError, ZeroDivisionError, RecursionError)


def square(x):
    return x * x


BAD = {
    "nothing": (),
    "None": (None,),
    "str": ("x",),
    "empty list": ([],),
    "list of str": (["a", "b"],),
    "dict": ({},),
    "nan": (math.nan,),
    "object": (object(),),
    "a function": (square,),
    "mixed list": ([Value(1.0), 3],),
    "two Nones": (None, None),
    "Value and str": (Value(1.0), "x"),
    "list and zero": ([1.0], 0),
}

CALLABLES = {
    name: getattr(autograd, name)
    for name in autograd.__all__
    if callable(getattr(autograd, name))
    and not isinstance(getattr(autograd, name), type)  # classes: Value is checked below
}
CALLABLES.update({
    "Value": Value,
    "sum": autograd.sum,
    "Op": autograd.Op,
    "grad(square)": autograd.grad(square),
    "value_and_grad(square)": autograd.value_and_grad(square),
    "hessian(square)": autograd.hessian(square),
    "Value.backward": Value(2.0).backward,
    "Value.leaky_relu": Value(2.0).leaky_relu,
    "Value.__pow__": Value(2.0).__pow__,
    "OPS['exp']": autograd.OPS["exp"],
    "gradcheck(square)": lambda *a: autograd.gradcheck(square, *a),
    "gradcheck(square, [1.0])": lambda *a: autograd.gradcheck(square, [1.0], *a),
    "numeric_grad(square)": lambda *a: autograd.numeric_grad(square, *a),
    "jvp(square)": lambda *a: autograd.jvp(square, *a),
    "gradients(x*x)": lambda *a: autograd.gradients(Value(1.0) * 2.0, *a),
})
SIGNATURE = re.compile(r"(takes|missing) .*argument|got an unexpected keyword|positional argument")


@pytest.mark.parametrize("shape", sorted(BAD))
@pytest.mark.parametrize("name", sorted(CALLABLES))
def test_bad_arguments_get_a_message_that_names_the_mistake(name, shape):
    fn = CALLABLES[name]
    try:
        result = fn(*BAD[shape])
        if hasattr(result, "__enter__"):  # a context manager: enter and leave it
            with result:
                pass
        elif hasattr(result, "__next__"):  # a generator (backward_steps): run it
            list(result)
    except GENERIC_TYPES as e:
        pytest.fail(f"{name}{BAD[shape]!r:.80} raised a generic {type(e).__name__}: {e}")
    except Exception as e:  # noqa: BLE001 - the message is what is checked
        message = str(e)
        if isinstance(e, TypeError) and SIGNATURE.search(message):
            return  # Python's own signature check names the function and the count
        assert not GENERIC.search(message), (
            f"{name}{BAD[shape]!r:.80} raised {type(e).__name__} with Python's generic "
            f"message: {message}"
        )
