/*
  A test extension that uses the mxProxy C API through include/mxProxy.h
  only. Each function calls one API entry with the arguments it receives.
  An argument left out is passed to the API as NULL, so the tests can tell
  NULL ("not given") apart from None.
*/
#define PY_SSIZE_T_CLEAN
#include "Python.h"
#include "mxProxy.h"

/* type_object() -> the proxy type from the API table */
static PyObject *
probe_type_object(PyObject *module, PyObject *unused)
{
    Py_INCREF(mxProxy->Proxy_Type);
    return (PyObject *)mxProxy->Proxy_Type;
}

/* check(obj=NULL) -> the int that Proxy_Check returns */
static PyObject *
probe_check(PyObject *module, PyObject *args)
{
    PyObject *object = NULL;

    if (!PyArg_ParseTuple(args, "|O:check", &object))
        return NULL;
    return PyLong_FromLong(mxProxy->Proxy_Check(object));
}

/* check_macro(obj) -> the int that the mxProxy_Check macro returns */
static PyObject *
probe_check_macro(PyObject *module, PyObject *object)
{
    return PyLong_FromLong(mxProxy_Check(object));
}

/* new_proxy(object=NULL, interface=NULL, passobj=NULL) */
static PyObject *
probe_new_proxy(PyObject *module, PyObject *args)
{
    PyObject *object = NULL;
    PyObject *interface = NULL;
    PyObject *passobj = NULL;

    if (!PyArg_ParseTuple(args, "|OOO:new_proxy", &object, &interface, &passobj))
        return NULL;
    return mxProxy->Proxy_New(object, interface, passobj);
}

/* new_weak_proxy(object=NULL, interface=NULL, passobj=NULL) */
static PyObject *
probe_new_weak_proxy(PyObject *module, PyObject *args)
{
    PyObject *object = NULL;
    PyObject *interface = NULL;
    PyObject *passobj = NULL;

    if (!PyArg_ParseTuple(args, "|OOO:new_weak_proxy", &object, &interface, &passobj))
        return NULL;
    return mxProxy->Proxy_WeakNew(object, interface, passobj);
}

/* get_object(proxy=NULL, passobj=NULL) */
static PyObject *
probe_get_object(PyObject *module, PyObject *args)
{
    PyObject *proxy = NULL;
    PyObject *passobj = NULL;

    if (!PyArg_ParseTuple(args, "|OO:get_object", &proxy, &passobj))
        return NULL;
    return mxProxy->Proxy_GetObject(proxy, passobj);
}

/* error_state(name, *args) -> (result is NULL, exception set) after calling
   the API entry name with args, so a test can distinguish a NULL result
   with an exception from one without, which Python would report as a
   SystemError. The exception is cleared. */
static PyObject *
probe_error_state(PyObject *module, PyObject *args)
{
    const char *name;
    PyObject *first = NULL;
    PyObject *second = NULL;
    PyObject *third = NULL;
    PyObject *result;
    int failed;
    int exception_set;

    if (!PyArg_ParseTuple(args, "s|OOO:error_state", &name, &first, &second, &third))
        return NULL;
    if (strcmp(name, "Proxy_New") == 0)
        result = mxProxy->Proxy_New(first, second, third);
    else if (strcmp(name, "Proxy_WeakNew") == 0)
        result = mxProxy->Proxy_WeakNew(first, second, third);
    else if (strcmp(name, "Proxy_GetObject") == 0)
        result = mxProxy->Proxy_GetObject(first, second);
    else {
        PyErr_Format(PyExc_ValueError,
                     "invalid API entry name %s: expected Proxy_New, "
                     "Proxy_WeakNew or Proxy_GetObject", name);
        return NULL;
    }
    failed = result == NULL;
    exception_set = PyErr_Occurred() != NULL;
    Py_XDECREF(result);
    PyErr_Clear();
    return Py_BuildValue("(OO)", failed ? Py_True : Py_False,
                         exception_set ? Py_True : Py_False);
}

/* layout(proxy) -> (isWeak, object, passobj, interface) read from the
   mxProxyObject fields, with None for NULL. It checks that the header's
   layout matches the fields the extension fills in. */
static PyObject *
probe_layout(PyObject *module, PyObject *proxy)
{
    mxProxyObject *fields;

    if (!mxProxy_Check(proxy)) {
        PyErr_Format(PyExc_TypeError, "layout() argument must be a proxy, not %.100s",
                     Py_TYPE(proxy)->tp_name);
        return NULL;
    }
    fields = (mxProxyObject *)proxy;
    return Py_BuildValue("(iOOO)",
                         fields->isWeak,
                         fields->object != NULL ? fields->object : Py_None,
                         fields->passobj != NULL ? fields->passobj : Py_None,
                         fields->interface != NULL ? fields->interface : Py_None);
}

/* import_again() -> the result of a second mxProxy_ImportModuleAndAPI() */
static PyObject *
probe_import_again(PyObject *module, PyObject *unused)
{
    return PyLong_FromLong(mxProxy_ImportModuleAndAPI());
}

static PyMethodDef probe_methods[] = {
    {"type_object", probe_type_object, METH_NOARGS, NULL},
    {"check", probe_check, METH_VARARGS, NULL},
    {"check_macro", probe_check_macro, METH_O, NULL},
    {"new_proxy", probe_new_proxy, METH_VARARGS, NULL},
    {"new_weak_proxy", probe_new_weak_proxy, METH_VARARGS, NULL},
    {"get_object", probe_get_object, METH_VARARGS, NULL},
    {"error_state", probe_error_state, METH_VARARGS, NULL},
    {"layout", probe_layout, METH_O, NULL},
    {"import_again", probe_import_again, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef probe_module = {
    PyModuleDef_HEAD_INIT,
    "capi_probe",
    "Calls into the mxProxy C API, for the test suite.",
    -1,
    probe_methods,
};

PyMODINIT_FUNC
PyInit_capi_probe(void)
{
    if (mxProxy_ImportModuleAndAPI() < 0)
        return NULL;
    return PyModule_Create(&probe_module);
}
