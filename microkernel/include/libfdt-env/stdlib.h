/* libfdt includes <stdlib.h> but needs nothing from it in the files we build. */
