"""Looking inside a network: saliency, feature maps, occlusion, permutation importance, hidden representations."""

from __future__ import annotations

import numpy as np

from nnbook import data
from nnbook.backend import tensorflow
from nnbook.registry import experiment
from nnbook.steps import train_step

INK = 0.1  # a pixel counts as ink above this brightness (pixels are in [0, 1])


def small_cnn(filters: tuple[int, int], hidden: int):
    """Two 3x3 convolution + pooling blocks, one dense hidden layer, and 10 class scores (logits, no softmax)."""
    _, keras = tensorflow()
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(filters[0], 3, padding="same", activation="relu", name="conv_1"),
        keras.layers.MaxPooling2D(name="pool_1"),
        keras.layers.Conv2D(filters[1], 3, padding="same", activation="relu", name="conv_2"),
        keras.layers.MaxPooling2D(name="pool_2"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(hidden, activation="relu", name="hidden"),
        keras.layers.Dense(10, name="scores"),
    ])


def fit_adam(model, x: np.ndarray, y: np.ndarray, epochs: int, batch: int, lr: float, loss_fn,
          rng: np.random.Generator) -> list[float]:
    """Adam on shuffled mini-batches with one compiled step (lighter than `fit` for small models); mean loss per epoch."""
    _, keras = tensorflow()
    step = train_step(model, keras.optimizers.Adam(lr), loss_fn)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        batches = [order[s : s + batch] for s in range(0, len(x), batch)]
        losses.append(float(np.mean([step(x[b], y[b]) for b in batches])))
    return losses


def class_score_gradients(model, images: np.ndarray, classes: np.ndarray, batch: int = 512) -> np.ndarray:
    """d(score of `classes[i]`) / d(pixels of `images[i]`) for every image, by automatic differentiation."""
    tf, _ = tensorflow()
    out = []
    for start in range(0, len(images), batch):
        x = tf.constant(images[start : start + batch])
        with tf.GradientTape() as tape:
            tape.watch(x)
            scores = model(x, training=False)
            picked = tf.gather(scores, classes[start : start + batch], axis=1, batch_dims=1)
        out.append(tape.gradient(picked, x).numpy())
    return np.concatenate(out)


def smoothgrad(model, images: np.ndarray, classes: np.ndarray, samples: int, noise: float,
               rng: np.random.Generator) -> np.ndarray:
    """The gradient averaged over `samples` noisy copies of each image (SmoothGrad)."""
    noisy = images[:, None] + rng.normal(0, noise, (len(images), samples) + images.shape[1:]).astype(np.float32)
    grads = class_score_gradients(model, noisy.reshape((-1,) + images.shape[1:]), np.repeat(classes, samples))
    return grads.reshape((len(images), samples) + images.shape[1:]).mean(axis=1)


def integrated_gradients(model, images: np.ndarray, classes: np.ndarray, steps: int) -> np.ndarray:
    """(image - black) times the gradient averaged along the straight path from a black image (trapezoid rule)."""
    alphas = np.linspace(0, 1, steps + 1, dtype=np.float32)
    path = alphas[None, :, None, None, None] * images[:, None]
    grads = class_score_gradients(model, path.reshape((-1,) + images.shape[1:]), np.repeat(classes, steps + 1))
    grads = grads.reshape((len(images), steps + 1) + images.shape[1:])
    mean_grad = (grads[:, :-1] + grads[:, 1:]).mean(axis=1) / 2
    return images * mean_grad


def occlusion(model, images: np.ndarray, classes: np.ndarray, patch: int,
              stride: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop in the probability of each image's class when a black `patch` square covers each position.

    Returns the drops and the drops in log-probability (natural log), each of shape
    (images, positions, positions), and the positions' top-left pixel.
    """
    tf, _ = tensorflow()
    starts = np.arange(0, 28 - patch + 1, stride)
    covered = np.repeat(images[:, None], len(starts) ** 2, axis=1)  # (images, positions², 28, 28, 1)
    for k, (r, c) in enumerate((r, c) for r in starts for c in starts):
        covered[:, k, r : r + patch, c : c + patch] = 0.0
    logits = model.predict(covered.reshape((-1, 28, 28, 1)), batch_size=1024, verbose=0)
    log_probs = tf.nn.log_softmax(logits).numpy().reshape(len(images), len(starts) ** 2, 10)
    base = tf.nn.log_softmax(model(images, training=False)).numpy()
    rows = np.arange(len(images))
    log_drop = base[rows, classes][:, None] - log_probs[rows, :, classes]
    drop = np.exp(base[rows, classes])[:, None] - np.exp(log_probs[rows, :, classes])
    shape = (len(images), len(starts), len(starts))
    return drop.reshape(shape), log_drop.reshape(shape), starts


def grad_cam(model, images: np.ndarray, classes: np.ndarray, layer: str = "conv_2") -> np.ndarray:
    """Grad-CAM: the maps of `layer` weighted by the mean gradient of the class score over each map, summed,
    passed through ReLU and enlarged to the image by repeating pixels."""
    tf, _ = tensorflow()
    with tf.GradientTape() as tape:
        out, maps = tf.constant(images), None
        for part in model.layers:  # layer by layer, to hold on to `layer`'s output
            out = part(out, training=False)
            if part.name == layer:
                maps = out
                tape.watch(maps)
        picked = tf.gather(out, classes, axis=1, batch_dims=1)
    grads = tape.gradient(picked, maps).numpy()
    cam = np.maximum((np.asarray(maps) * grads.mean(axis=(1, 2), keepdims=True)).sum(axis=-1), 0)
    scale = images.shape[1] // cam.shape[1]
    return np.kron(cam, np.ones((1, scale, scale), np.float32))[..., None]


def masked_probabilities(model, images: np.ndarray, classes: np.ndarray, ranking: np.ndarray,
                         fractions: list[float], insert: bool, tiebreak: np.ndarray | None = None) -> np.ndarray:
    """The probability of each image's class when the top `fraction` of its pixels by `ranking` (higher first;
    equal values in the order of `tiebreak`, else by position) are set to black (`insert` False: a deletion
    curve) or are the only ones kept on a black image (`insert` True: an insertion curve): (fractions, images)."""
    tf, _ = tensorflow()
    n, pixels = len(images), images[0].size
    keys = -ranking.reshape(n, -1)
    second = np.zeros_like(keys) if tiebreak is None else tiebreak.reshape(n, -1)
    order = np.lexsort((second, keys), axis=1)
    flat, batch = images.reshape(n, -1), []
    for fraction in fractions:
        top = order[:, : int(round(fraction * pixels))]
        x = np.zeros_like(flat) if insert else flat.copy()
        x[np.arange(n)[:, None], top] = flat[np.arange(n)[:, None], top] if insert else 0.0
        batch.append(x)
    probs = tf.nn.softmax(model.predict(np.concatenate(batch).reshape((-1,) + images.shape[1:]), batch_size=1024,
                                        verbose=0)).numpy()
    return probs[np.arange(len(probs)), np.tile(classes, len(fractions))].reshape(len(fractions), n)


def deletion_curve(model, images: np.ndarray, classes: np.ndarray, ranking: np.ndarray,
                   fractions: list[float], tiebreak: np.ndarray | None = None) -> np.ndarray:
    """Pixels removed (set to black) in the order of `ranking`: a faithful ranking makes the class fall fast."""
    return masked_probabilities(model, images, classes, ranking, fractions, False, tiebreak)


def insertion_curve(model, images: np.ndarray, classes: np.ndarray, ranking: np.ndarray,
                    fractions: list[float], tiebreak: np.ndarray | None = None) -> np.ndarray:
    """Pixels restored onto a black image in the order of `ranking`: a faithful ranking makes the class rise fast."""
    return masked_probabilities(model, images, classes, ranking, fractions, True, tiebreak)


def average_ranks(rows: np.ndarray) -> np.ndarray:
    """Each row's ranks, with tied values sharing the mean of their ranks (as Spearman's correlation has it)."""
    out = np.empty(rows.shape, dtype=np.float64)
    for i, row in enumerate(rows):
        _, inverse, counts = np.unique(row, return_inverse=True, return_counts=True)
        out[i] = (np.cumsum(counts) - (counts - 1) / 2 - 1)[inverse]
    return out


def rank_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per image, Spearman's rank correlation of two maps' absolute values (Adebayo et al.'s randomisation test).
    Tied pixels share their mean rank; a map that is the same everywhere orders nothing, and scores 0."""
    ra, rb = (average_ranks(np.abs(x.reshape(len(x), -1))) for x in (a, b))
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    scale = np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))
    return np.where(scale > 0, (ra * rb).sum(axis=1) / np.where(scale > 0, scale, 1.0), 0.0)


def probe_accuracy(train_features: np.ndarray, train_labels: np.ndarray, features: np.ndarray,
                   labels: np.ndarray) -> float:
    """A linear probe: multinomial logistic regression fit on one set of features, scored on another."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        scaler = StandardScaler().fit(train_features)
        fit = LogisticRegression(max_iter=2000, C=1.0).fit(scaler.transform(train_features), train_labels)
        return float(np.mean(fit.predict(scaler.transform(features)) == labels))


ATTRIBUTIONS = ("gradient", "smoothgrad", "integrated", "gradcam")
FLOOR = 10_000  # offset of the seeds that draw the second SmoothGrad noise
PICTURES = 20_000  # offset of the seed that draws the pictured network's SmoothGrad noise


def attributions(model, images: np.ndarray, classes: np.ndarray, smooth_samples: int, smooth_noise: float,
                 ig_steps: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every method's map of each image's class score."""
    return {"gradient": class_score_gradients(model, images, classes),
            "smoothgrad": smoothgrad(model, images, classes, smooth_samples, smooth_noise, rng),
            "integrated": integrated_gradients(model, images, classes, ig_steps),
            "gradcam": grad_cam(model, images, classes)}


def ink_share(attribution: np.ndarray, images: np.ndarray) -> np.ndarray:
    """Per image, the share of the total |attribution| that falls on ink pixels."""
    size = np.abs(attribution).reshape(len(images), -1)
    ink = images.reshape(len(images), -1) > INK
    return (size * ink).sum(axis=1) / np.maximum(size.sum(axis=1), 1e-12)


TOP_EXAMPLES = 6  # the digits that drive a hidden unit most, per unit
UNITS_SHOWN = 8  # hidden units pictured: those whose activation varies most over the probe digits


def unit_purity(hidden: np.ndarray, labels: np.ndarray, top: int = TOP_EXAMPLES) -> np.ndarray:
    """Per hidden unit, the share of its `top` most activating digits that carry their most common
    label (1 when all are one digit; a unit that is never active scores its first digits)."""
    best = np.argsort(-hidden, axis=0, kind="stable")[:top]  # top, unit
    picked = labels[best]
    return np.array([np.bincount(picked[:, u], minlength=10).max() / top for u in range(hidden.shape[1])])


def maximise_unit(model, unit: int, steps: int = 200, lr: float = 0.05, decay: float = 0.01) -> tuple[np.ndarray, float]:
    """Activation maximisation: gradient ascent on an input image, from a uniform grey, of one hidden unit's
    activation minus `decay` times the image's squared size, with pixels kept in [0, 1]. Returns the image
    and the activation it reaches."""
    tf, keras = tensorflow()
    hidden = keras.Model(model.inputs[0], model.get_layer("hidden").output)
    x = tf.Variable(np.full((1, 28, 28, 1), 0.5, np.float32))
    for _ in range(steps):
        with tf.GradientTape() as tape:
            objective = hidden(x, training=False)[0, unit] - decay * tf.reduce_sum(x * x)
        x.assign(tf.clip_by_value(x + lr * tf.math.l2_normalize(tape.gradient(objective, x)), 0.0, 1.0))
    return x.numpy()[0, ..., 0], float(hidden(x, training=False)[0, unit])


def first_per_class(labels: np.ndarray, classes: list[int]) -> np.ndarray:
    """The index of the first example of each class in `classes`."""
    return np.array([int(np.flatnonzero(labels == c)[0]) for c in classes])


def nearest_neighbour_agreement(points: np.ndarray, labels: np.ndarray) -> float:
    """Share of points whose nearest other point carries the same label."""
    d = ((points[:, None] - points[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return float(np.mean(labels[d.argmin(axis=1)] == labels))


TSNE_SETTINGS = {"perplexity": 30, "max_iter": 500, "init": "pca"}


def tsne(hidden: np.ndarray, perplexity: float, seed: int) -> np.ndarray:
    """t-SNE of the hidden activations at one perplexity, the other settings as `TSNE_SETTINGS` (one thread)."""
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        settings = TSNE_SETTINGS | {"perplexity": perplexity}
        return TSNE(2, **settings, random_state=seed, n_jobs=1).fit_transform(hidden).astype(np.float32)


def projections(hidden: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    """The hidden activations projected to 2-D by PCA and by t-SNE (one thread, for the same numbers everywhere)."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        pca = PCA(2, random_state=seed).fit_transform(hidden)
        tsne = TSNE(2, **TSNE_SETTINGS, random_state=seed, n_jobs=1).fit_transform(hidden)
    return {"pca": pca.astype(np.float32), "tsne": tsne.astype(np.float32)}


class SeededTrainer:
    """One CNN and one XLA-compiled Adam step, reused for every seed: each seed resets the weights to that
    seed's fresh initialisation and the optimizer's state to zero, so no seed pays for compiling again.
    Every epoch visits the rows in a new order in full batches (the last partial batch is left out)."""

    def __init__(self, filters: tuple[int, int], hidden: int, batch: int, lr: float):
        tf, keras = tensorflow()
        self.filters, self.hidden, self.batch, self.lr = filters, hidden, batch, lr
        self.model = small_cnn(filters, hidden)
        self.optimizer = keras.optimizers.Adam(lr)
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        model, optimizer = self.model, self.optimizer

        @tf.function(jit_compile=True)
        def step(xb, yb):
            with tf.GradientTape() as tape:
                loss = loss_fn(yb, model(xb, training=True))
            optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
            return loss

        self.step = step

    def start(self, seed: int) -> None:
        """Fresh starting weights drawn with `seed`, and a fresh optimizer."""
        _, keras = tensorflow()
        keras.utils.set_random_seed(seed)
        self.model.set_weights(small_cnn(self.filters, self.hidden).get_weights())
        for variable in self.optimizer.variables:
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
        self.optimizer.learning_rate = self.lr  # the loop above zeroed it too

    def fit(self, x: np.ndarray, y: np.ndarray, epochs: int, rng: np.random.Generator) -> list[float]:
        """Mean training loss per epoch."""
        losses = []
        for _ in range(epochs):
            order = rng.permutation(len(x))
            batches = [order[s : s + self.batch] for s in range(0, len(x) - self.batch + 1, self.batch)]
            losses.append(float(np.mean([self.step(x[b], y[b]) for b in batches])))
        return losses


@experiment("visualization/cnn", seed=11,
            full={"train": 4000, "val": 1000, "epochs": 6, "batch": 64, "lr": 0.002, "filters": [8, 16],
                  "hidden": 32, "seeds": 5, "shown": [0, 2, 3, 5, 7, 9], "stats": 100, "smooth_samples": 16,
                  "smooth_noise": 0.15, "ig_steps": 48, "patch": 6, "stride": 2, "points": 500, "probe_rows": 1000,
                  "fractions": [0.0, 0.01, 0.02, 0.05, 0.1, 0.2], "perplexities": [5, 30, 100]},
            smoke={"train": 1200, "val": 300, "epochs": 2, "batch": 64, "lr": 0.002, "filters": [8, 16],
                   "hidden": 32, "seeds": 2, "shown": [0, 2, 3, 5, 7, 9], "stats": 20, "smooth_samples": 4,
                   "smooth_noise": 0.15, "ig_steps": 8, "patch": 6, "stride": 2, "points": 200, "probe_rows": 300,
                   "fractions": [0.0, 0.05, 0.2], "perplexities": [5, 30]},
            title="A small CNN on MNIST, several seeds, looked at with saliency, occlusion, feature maps and "
                  "2-D projections")
def cnn(train: int, val: int, epochs: int, batch: int, lr: float, filters: list[int], hidden: int, seeds: int,
        shown: list[int], stats: int, smooth_samples: int, smooth_noise: float, ig_steps: int, patch: int,
        stride: int, points: int, probe_rows: int, fractions: list[float], perplexities: list[float],
        seed: int) -> dict:
    """Train the same small CNN from `seeds` seeds. The pictures come from a typical seed's network (the
    median seed by its gradient's share on the ink) and its untrained starting point; every seed gets the
    measures: accuracy, each attribution method on `stats` digits trained and untrained (ink share, rank
    similarity, deletion and insertion curves against three control orders), nearest neighbours and a linear
    probe of the hidden layer."""
    tf, keras = tensorflow()
    split = data.mnist(train, val, seed)
    x_train = split.x_train.reshape(-1, 28, 28, 1).astype(np.float32)
    x_val = split.x_val.reshape(-1, 28, 28, 1).astype(np.float32)
    y_val = split.y_val
    trainer = SeededTrainer(tuple(filters), hidden, batch, lr)
    model = trainer.model
    untrained = small_cnn(tuple(filters), hidden)
    hidden_of = lambda m, x: np.asarray(keras.Model(m.inputs[0], m.get_layer("hidden").output)(x, training=False))  # noqa: E731
    probe, labels = x_val[:points], y_val[:points]
    probe_x, probe_y = x_train[:probe_rows], split.y_train[:probe_rows]
    images, classes = x_val[:stats], y_val[:stats]
    rankings = (*ATTRIBUTIONS, "random", "brightness", "ink")
    per_seed: dict[str, list] = {k: [] for k in (
        "val_accuracy", "loss", "acc_before", "top_answer_before", "top_answer_count_before", "nn_hidden_before",
        "nn_hidden_after", "probe_before", "probe_after", "ink_trained", "ink_untrained", "similarity",
        "similarity_other", "smooth_floor", "unit_purity_before", "unit_purity_after",
        *(f"{test}{kind}" for test in ("deletion", "insertion")
          for kind in ("", "_auc", "_untrained_auc", "_abs_auc", "_abs_untrained_auc")))}
    states = []  # per seed: initial and trained weights, hidden layer and answers before and after
    for s in range(seeds):
        trainer.start(seed + s)
        untrained.set_weights(model.get_weights())
        hidden_before = hidden_of(model, probe)
        per_seed["probe_before"].append(probe_accuracy(hidden_of(model, probe_x), probe_y, hidden_before, labels))
        pred_before = np.asarray(model(probe, training=False)).argmax(axis=1)
        rng = np.random.default_rng(seed + s)
        per_seed["loss"].append(trainer.fit(x_train, split.y_train, epochs, rng))
        hidden_after = hidden_of(model, probe)
        per_seed["unit_purity_before"].append(unit_purity(hidden_before, labels))
        per_seed["unit_purity_after"].append(unit_purity(hidden_after, labels))
        per_seed["probe_after"].append(probe_accuracy(hidden_of(model, probe_x), probe_y, hidden_after, labels))
        pred_after = np.asarray(model(probe, training=False)).argmax(axis=1)
        per_seed["val_accuracy"].append(float(np.mean(np.asarray(model(x_val, training=False)).argmax(1) == y_val)))
        per_seed["acc_before"].append(float(np.mean(pred_before == labels)))
        counts = np.bincount(pred_before, minlength=10)
        per_seed["top_answer_before"].append(int(counts.argmax()))
        per_seed["top_answer_count_before"].append(int(counts.max()))
        per_seed["nn_hidden_before"].append(nearest_neighbour_agreement(hidden_before, labels))
        per_seed["nn_hidden_after"].append(nearest_neighbour_agreement(hidden_after, labels))
        trained_maps = attributions(model, images, classes, smooth_samples, smooth_noise, ig_steps, rng)
        untrained_maps = attributions(untrained, images, classes, smooth_samples, smooth_noise, ig_steps, rng)
        per_seed["ink_trained"].append([ink_share(trained_maps[m], images) for m in ATTRIBUTIONS])
        per_seed["ink_untrained"].append([ink_share(untrained_maps[m], images) for m in ATTRIBUTIONS])
        per_seed["similarity"].append([rank_similarity(trained_maps[m], untrained_maps[m]) for m in ATTRIBUTIONS])
        # the floor of "no relation": each digit's trained map against the untrained map of the next digit,
        # which shares only where digits put their ink
        per_seed["similarity_other"].append([rank_similarity(trained_maps[m], np.roll(untrained_maps[m], 1, axis=0))
                                             for m in ATTRIBUTIONS])
        # SmoothGrad's noise floor: a second map of the same trained network with fresh noise (its own
        # generator, so that every other result keeps its draws)
        again = smoothgrad(model, images, classes, smooth_samples, smooth_noise, np.random.default_rng(FLOOR + seed + s))
        per_seed["smooth_floor"].append(rank_similarity(trained_maps["smoothgrad"], again))
        random_rank = rng.random(images.shape).astype(np.float32)
        # three controls: a random order; the ink by brightness alone, an informative order in itself; and the
        # ink in a random order, which any map that only finds the ink matches. Equal values (a map that is zero
        # on many pixels) are taken in a random order too, not row by row.
        controls = {"random": random_rank, "brightness": images, "ink": (images > 0).astype(np.float32)}
        area = lambda curves: np.trapezoid(curves, fractions, axis=1) / (fractions[-1] - fractions[0])  # noqa: E731
        for name, curve in (("deletion", deletion_curve), ("insertion", insertion_curve)):
            scored = lambda maps: area(np.array([curve(model, images, classes, maps[m], fractions, random_rank)  # noqa: E731
                                                 for m in ATTRIBUTIONS]))
            curves = np.array([curve(model, images, classes, controls.get(m, trained_maps.get(m)), fractions,
                                     random_rank) for m in rankings])  # ranking, fraction, image
            per_seed[name].append(curves.mean(axis=2))
            per_seed[f"{name}_auc"].append(area(curves))
            # the untrained network's maps, used on the trained one: a map that reads the trained network
            # should put what it needs first better than a map of a network that learned nothing; and both
            # by the size of the map alone, sign ignored, to measure what the sign contributes
            per_seed[f"{name}_untrained_auc"].append(scored(untrained_maps))
            per_seed[f"{name}_abs_auc"].append(scored({m: np.abs(v) for m, v in trained_maps.items()}))
            per_seed[f"{name}_abs_untrained_auc"].append(scored({m: np.abs(v) for m, v in untrained_maps.items()}))
        states.append(([w.copy() for w in untrained.get_weights()], [w.copy() for w in model.get_weights()],
                       hidden_before, hidden_after, pred_before, pred_after))

    # the pictures come from a typical seed: the median one by how much of its gradient falls on the ink
    share = np.array(per_seed["ink_trained"])[:, ATTRIBUTIONS.index("gradient")].mean(axis=-1)
    pictured = int(np.argsort(share, kind="stable")[len(share) // 2])
    initial, trained, hidden_before, hidden_after, pred_before, pred_after = states[pictured]
    untrained.set_weights(initial)
    model.set_weights(trained)
    first = first_seed_analysis(model, untrained, x_val, y_val, shown, stats, smooth_samples, smooth_noise,
                                ig_steps, patch, stride, np.random.default_rng(PICTURES + seed + pictured))
    first |= {"pictured_seed": pictured, "points_labels": labels, "pred_before": pred_before,
              "pred_after": pred_after, "parameters": int(model.count_params())}
    before, after = projections(hidden_before, seed), projections(hidden_after, seed)
    first |= {f"{method}_{when}": proj[method] for when, proj in (("before", before), ("after", after))
              for method in ("pca", "tsne")}
    first |= {f"nn_agreement_{method}_{when}": nearest_neighbour_agreement(proj[method], labels)
              for when, proj in (("before", before), ("after", after)) for method in ("pca", "tsne")}
    first |= {f"nn_agreement_hidden_{when}": nearest_neighbour_agreement(h, labels)
              for when, h in (("before", hidden_before), ("after", hidden_after))}
    maps = {p: after["tsne"] if p == TSNE_SETTINGS["perplexity"] else tsne(hidden_after, p, seed)
            for p in perplexities}
    first |= {"tsne_perplexity": np.array([maps[p] for p in perplexities], dtype=np.float32),
              "nn_agreement_perplexity": np.array([nearest_neighbour_agreement(maps[p], labels)
                                                   for p in perplexities], dtype=np.float32)}

    f32 = lambda a: np.asarray(a, dtype=np.float32)  # noqa: E731
    pixels = probe.reshape(len(probe), -1)
    return first | {
        "train_rows": train, "val_rows": val, "epochs": epochs, "batch": batch, "lr": lr, "filters": filters,
        "hidden": hidden, "seeds": seeds, "stats": stats, "smooth_samples": smooth_samples,
        "smooth_noise": smooth_noise, "ig_steps": ig_steps, "patch": patch, "stride": stride, **TSNE_SETTINGS,
        "probe_rows": probe_rows, "fractions": f32(fractions), "perplexities": f32(perplexities),
        "attributions": list(ATTRIBUTIONS), "rankings": list(rankings),
        "nn_agreement_pixels": nearest_neighbour_agreement(pixels, labels),
        "probe_pixels": probe_accuracy(probe_x.reshape(len(probe_x), -1), probe_y, pixels, labels),
        "loss": f32(per_seed["loss"][pictured]), "val_accuracy": float(per_seed["val_accuracy"][pictured]),
        **{f"seed_{k}": f32(v) if k not in ("top_answer_before", "top_answer_count_before") else np.array(v)
           for k, v in per_seed.items()},  # (seed, ...)
    }


def first_seed_analysis(model, untrained, x_val: np.ndarray, y_val: np.ndarray, shown: list[int], stats: int,
                        smooth_samples: int, smooth_noise: float, ig_steps: int, patch: int, stride: int,
                        rng: np.random.Generator) -> dict:
    """Saliency maps, occlusion and feature maps of the shown digits; attribution statistics on `stats` digits."""
    tf, keras = tensorflow()
    picks = first_per_class(y_val, shown)
    both = np.concatenate([picks, np.arange(stats)])
    images, classes = x_val[both], y_val[both]
    maps = {
        "gradient": class_score_gradients(model, images, classes),
        "smoothgrad": smoothgrad(model, images, classes, smooth_samples, smooth_noise, rng),
        "integrated": integrated_gradients(model, images, classes, ig_steps),
        "gradcam": grad_cam(model, images, classes),
        "untrained": class_score_gradients(untrained, images, classes),
    }
    scores = np.asarray(model(images, training=False))
    black = np.asarray(model(np.zeros_like(images[:1]), training=False))[0]
    score_gap = scores[np.arange(len(both)), classes] - black[classes]
    ig_gap = maps["integrated"].reshape(len(both), -1).sum(axis=1) - score_gap
    n = len(picks)

    drops, log_drops, starts = occlusion(model, x_val[picks], y_val[picks], patch, stride)
    layers = keras.Model(model.inputs[0], [model.get_layer(name).output for name in ("conv_1", "conv_2", "hidden")])
    conv_1, conv_2, hidden_shown = (np.asarray(o) for o in layers(x_val[picks], training=False))
    probs_shown = tf.nn.softmax(model(x_val[picks], training=False)).numpy()
    hidden_val = np.asarray(layers(x_val, training=False)[2])
    units = np.argsort(-hidden_val.std(axis=0), kind="stable")[:UNITS_SHOWN]
    examples = np.argsort(-hidden_val[:, units], axis=0, kind="stable")[:TOP_EXAMPLES].T  # unit, example
    synthesised = [maximise_unit(model, int(u)) for u in units]
    f32 = lambda a: np.asarray(a, dtype=np.float32)  # noqa: E731
    return {
        "shown_images": f32(x_val[picks, ..., 0]), "shown_labels": y_val[picks],
        "shown_predictions": probs_shown.argmax(axis=1), "shown_probs": f32(probs_shown),
        **{f"saliency_{k}": f32(v[:n, ..., 0]) for k, v in maps.items()},
        **{f"ink_share_{k}": f32(ink_share(v[n:], images[n:])) for k, v in maps.items()},
        "ink_pixel_share": f32((images[n:] > INK).reshape(stats, -1).mean(axis=1)),
        "ig_completeness_gap": f32(ig_gap), "ig_score_gap": f32(score_gap),
        "occlusion": f32(drops), "occlusion_log": f32(log_drops), "occlusion_starts": starts.astype(np.int32),
        "conv_1": f32(conv_1[0].transpose(2, 0, 1)), "conv_2": f32(conv_2[0].transpose(2, 0, 1)),
        "conv_1_kernels": f32(model.get_layer("conv_1").kernel.numpy()[:, :, 0].transpose(2, 0, 1)),
        "hidden_shown": f32(hidden_shown),
        "units_shown": units.astype(np.int32), "unit_examples": f32(x_val[examples][..., 0]),
        "unit_example_labels": y_val[examples].astype(np.int8),
        "unit_example_activations": f32(np.take_along_axis(hidden_val[:, units], examples.T, axis=0).T),
        "unit_synthesised": f32([img for img, _ in synthesised]),
        "unit_synthesised_activation": f32([act for _, act in synthesised]),
    }


def breast_cancer(train: int, seed: int):
    """scikit-learn's breast cancer data, split with a seed and standardised with the training rows' statistics."""
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    order = np.random.default_rng(seed).permutation(len(bunch.target))
    tr, va = order[:train], order[train:]
    x = bunch.data.astype(np.float32)
    mean, std = x[tr].mean(axis=0), x[tr].std(axis=0)
    x = (x - mean) / std
    # 1 = malignant (scikit-learn codes malignant as 0)
    y = (bunch.target == 0).astype(np.float32)
    return x[tr], y[tr], x[va], y[va], [str(n) for n in bunch.feature_names]


def correlated_groups(x: np.ndarray, threshold: float) -> np.ndarray:
    """A group number per feature: features joined by average-linkage clustering while their absolute
    correlation stays above `threshold` (a feature without such a twin is a group of its own)."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    distance = 1 - np.abs(np.corrcoef(x.T))
    np.fill_diagonal(distance, 0)
    tree = linkage(squareform(np.clip(distance, 0, None), checks=False), method="average")
    return fcluster(tree, 1 - threshold, criterion="distance").astype(np.int32) - 1


def permutation_drops(model, x: np.ndarray, y: np.ndarray, repeats: int, rng: np.random.Generator,
                      groups: list[list[int]] | None = None):
    """Accuracy drop and loss rise when one feature's column (or one group of columns, rows shuffled
    together) is shuffled, per feature (or group) and repeat."""
    features = x.shape[1]
    groups = groups or [[j] for j in range(features)]
    shuffled = np.repeat(x[None, None], len(groups) * repeats, axis=0).reshape(len(groups), repeats, *x.shape)
    for g, columns in enumerate(groups):
        for r in range(repeats):
            shuffled[g, r][:, columns] = x[rng.permutation(len(x))][:, columns]
    p = model.predict(shuffled.reshape(-1, features), batch_size=8192, verbose=0).reshape(len(groups), repeats,
                                                                                          len(y))
    base = model.predict(x, verbose=0)[:, 0]
    accuracy = lambda q: ((q > 0.5) == (y > 0.5)).mean(axis=-1)  # noqa: E731
    loss = lambda q: -(y * np.log(np.clip(q, 1e-7, 1)) + (1 - y) * np.log(np.clip(1 - q, 1e-7, 1))).mean(axis=-1)  # noqa: E731
    return accuracy(base) - accuracy(p), loss(p) - loss(base), float(accuracy(base)), float(loss(base))


def similarity_order(rows: np.ndarray) -> np.ndarray:
    """Row order that puts similar rows (by correlation) next to each other: hierarchical clustering's leaves."""
    from scipy.cluster.hierarchy import leaves_list, linkage

    return leaves_list(linkage(rows, method="average", metric="correlation"))


@experiment("visualization/importance", seed=12,
            full={"train": 400, "hidden": 16, "epochs": 40, "batch": 64, "lr": 0.003, "repeats": 20, "seeds": 10,
                  "twin": 0.9},
            smoke={"train": 300, "hidden": 8, "epochs": 3, "batch": 64, "lr": 0.003, "repeats": 3, "seeds": 2,
                   "twin": 0.9},
            title="Permutation importance of the 30 features of a breast cancer classifier")
def importance(train: int, hidden: int, epochs: int, batch: int, lr: float, repeats: int, seeds: int, twin: float,
               seed: int) -> dict:
    """Train the same small network from several seeds; shuffle each feature in turn, and each group of
    features correlated above `twin` together, and measure the damage; fit a logistic regression as a
    simple model to compare with."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    _, keras = tensorflow()
    x_tr, y_tr, x_va, y_va, names = breast_cancer(train, seed)
    group_of = correlated_groups(x_tr, twin)
    groups = [list(np.flatnonzero(group_of == g)) for g in range(group_of.max() + 1)]
    acc_drop, loss_rise, group_rise, base_acc, base_loss, kernels, outputs = [], [], [], [], [], [], []
    for s in range(seeds):
        keras.utils.set_random_seed(seed + s)
        model = keras.Sequential([keras.Input((x_tr.shape[1],)),
                                  keras.layers.Dense(hidden, activation="relu", name="hidden"),
                                  keras.layers.Dense(1, activation="sigmoid", name="output")])
        fit_adam(model, x_tr, y_tr[:, None], epochs, batch, lr, keras.losses.BinaryCrossentropy(),
                 np.random.default_rng(seed + s))
        a, l, ba, bl = permutation_drops(model, x_va, y_va, repeats, np.random.default_rng(seed + s))
        acc_drop.append(a), loss_rise.append(l), base_acc.append(ba), base_loss.append(bl)
        group_rise.append(permutation_drops(model, x_va, y_va, repeats, np.random.default_rng(seed + s), groups)[1])
        kernels.append(model.get_layer("hidden").kernel.numpy())
        outputs.append(model.get_layer("output").kernel.numpy()[:, 0])
    with threadpool_limits(1):
        logistic = LogisticRegression(max_iter=5000).fit(x_tr, y_tr)
    return {"features": names, "train_rows": train, "val_rows": len(y_va), "hidden": hidden, "epochs": epochs,
            "batch": batch, "lr": lr, "repeats": repeats, "seeds": seeds, "twin": twin,
            "accuracy_drop": np.array(acc_drop, dtype=np.float32), "loss_rise": np.array(loss_rise, dtype=np.float32),
            "group_of": group_of, "group_loss_rise": np.array(group_rise, dtype=np.float32),  # (seed, group, repeat)
            "val_accuracy": np.array(base_acc, dtype=np.float32), "val_loss": np.array(base_loss, dtype=np.float32),
            "kernel": kernels[0].T.astype(np.float32),  # (units, features) of the first seed's model
            "output_kernel": outputs[0].astype(np.float32),  # (units,) of the first seed's model
            "kernel_row_order": similarity_order(kernels[0].T).astype(np.int32),
            "kernels": np.array([k.T for k in kernels], dtype=np.float32),  # (seed, units, features)
            "logistic_coef": logistic.coef_[0].astype(np.float32),
            "logistic_accuracy": float(np.mean(logistic.predict(x_va) == y_va)),
            "feature_correlation": np.corrcoef(x_tr.T).astype(np.float32)}
