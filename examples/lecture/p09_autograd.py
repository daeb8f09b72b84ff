"""Pattern 9: automatic differentiation of y = x**2 - 2x + 1 at x = 5."""

from minikeras import backend as K


def main():
    x = K.variable([5.0])
    y = x ** 2 - 2 * x + 1
    value = K.eval(y)
    grad = K.eval(K.gradients(y, [x])[0])
    print("y =", value, " dy/dx =", grad)
    return value, grad


if __name__ == "__main__":
    main()
