"""Progress bars for every long loop (gradient ascent, occlusion, training, downloads)."""
from tqdm import tqdm


def progress_bar(iterable, desc, progress):
    """A tqdm progress bar over iterable: shown when progress is True, hidden when False, and
    when None shown only on a terminal (so piped or logged output stays clean)."""
    return tqdm(iterable, desc=desc, disable=None if progress is None else not progress, leave=False)
